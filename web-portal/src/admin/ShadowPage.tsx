import { useCallback } from 'react';
import { admin } from '../api/client';
import { Viewer } from '../desktop/Viewer';

/** An admin watching a live desktop: a read-only ticket, no input reaches the desktop. */
export function ShadowPage({ desktopId }: { desktopId: string }) {
  const getTicket = useCallback(() => admin.shadow(desktopId), [desktopId]);
  return <Viewer title={`Shadowing ${desktopId.slice(0, 8)}`} readOnly getTicket={getTicket} />;
}

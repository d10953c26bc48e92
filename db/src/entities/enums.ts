// Database enum types. The values are part of the schema (see the first migration); they are
// declared once, in the broker's contract, because the API's views and the portal use them too.
export {
  AgentState,
  AssignmentMode,
  DesktopState,
  DesktopStep,
  ImageVersionState,
  NetworkMode,
  RefreshPolicy,
  SessionMode,
  SessionState,
  TemplateState,
  UserRole,
} from '@forkdesk/broker-contract';

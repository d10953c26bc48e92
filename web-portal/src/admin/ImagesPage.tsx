import { useState } from 'react';
import type { ImageView, VersionAction, VersionView } from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { fieldErrors, formError } from '../api/errors';
import { Alert } from '../components/Alert';
import { Badge } from '../components/Badge';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field } from '../components/Field';
import { FormCard } from '../components/FormCard';
import { TextForm } from '../components/InlineForm';
import { Loaded } from '../components/Loaded';
import { Table } from '../components/Table';
import { useFields } from '../components/useFields';
import { useLoad } from '../components/useLoad';
import { useSubmit } from '../components/useSubmit';
import { bytes, dateTime } from './format';

/** What an admin may do with a version in each state. */
export function versionActions(v: VersionView): { action: VersionAction; label: string }[] {
  switch (v.state) {
    case 'ready':
      return [
        { action: 'publish', label: 'Publish' },
        { action: 'retire', label: 'Retire' },
      ];
    case 'published':
      return [{ action: 'retire', label: 'Retire' }];
    case 'retired':
      return [{ action: 'rollback', label: 'Roll back to this' }];
    default:
      return [];
  }
}

function Versions({ image }: { image: ImageView }) {
  const versions = useLoad(() => admin.versions(image.id), [image.id], 5000);
  const [manifestOf, setManifestOf] = useState<string | null>(null);
  const act = useSubmit();

  return (
    <div className="versions">
      <Loaded state={versions} label="Loading versions…">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No versions yet: import one from an image-builder manifest.</p>
          ) : (
            <Table
              bare
              caption={`Versions of ${image.name}`}
              columns={['Version', 'State', 'Size', 'Created', 'Published']}
              actions
            >
              {[...list]
                .sort((a, b) => b.version - a.version)
                .map((v) => (
                  <VersionRow
                    key={v.id}
                    v={v}
                    open={manifestOf === v.id}
                    toggle={() => setManifestOf(manifestOf === v.id ? null : v.id)}
                    onAction={(a) =>
                      act.run(() => admin.versionAction(v.id, a)).then(() => versions.reload())
                    }
                  />
                ))}
            </Table>
          )
        }
      </Loaded>
      <Alert error={act.error} />
      <TextForm
        label="Import a version from a manifest"
        placeholder="/var/lib/forkdesk/images/desktop/manifest.json"
        required="Enter the path of the image-builder manifest."
        brokerField="manifestPath"
        submit="Import"
        busyLabel="Importing…"
        add={(path) => admin.importVersion(image.id, path)}
        onAdded={versions.reload}
      />
    </div>
  );
}

function VersionRow({
  v,
  open,
  toggle,
  onAction,
}: {
  v: VersionView;
  open: boolean;
  toggle: () => void;
  onAction: (a: VersionAction) => Promise<void>;
}) {
  return (
    <>
      <tr>
        <td>v{v.version}</td>
        <td>
          <Badge value={v.state} />
        </td>
        <td>{bytes(v.sizeBytes)}</td>
        <td>{dateTime(v.createdAt)}</td>
        <td>{dateTime(v.publishedAt)}</td>
        <td className="row-actions">
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-expanded={open}
            onClick={toggle}
          >
            Manifest
          </button>
          {versionActions(v).map((a) => (
            <ConfirmButton
              key={a.action}
              label={a.label}
              confirm={`${a.label} v${v.version}?`}
              danger={a.action === 'retire'}
              onConfirm={() => onAction(a.action)}
            />
          ))}
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={6}>
            <pre className="manifest">
              {JSON.stringify({ recipeHash: v.recipeHash, diskPath: v.diskPath }, null, 2)}
            </pre>
          </td>
        </tr>
      )}
    </>
  );
}

const NO_IMAGE = { name: '', description: '' };

function NewImage({ onCreated }: { onCreated: () => void }) {
  const { values: v, setValues, bind } = useFields(NO_IMAGE);
  const s = useSubmit();
  const fe = fieldErrors(s.error, Object.keys(NO_IMAGE));
  const submit = async () => {
    if (await s.run(() => admin.createImage(v.name.trim(), v.description.trim()))) {
      setValues(NO_IMAGE);
      onCreated();
    }
  };
  return (
    <FormCard
      title="New golden image"
      error={formError(s.error, fe)}
      onSubmit={submit}
      layout="form-row"
      submit="Create image"
      busy={s.busy}
      busyLabel="Creating…"
    >
      <Field label="Name" required value={v.name} onChange={bind('name')} error={fe.byField.name} />
      <Field
        label="Description"
        value={v.description}
        onChange={bind('description')}
        error={fe.byField.description}
      />
    </FormCard>
  );
}

export function ImagesPage() {
  const images = useLoad(() => admin.images(), []);
  return (
    <section>
      <h1>Images and versions</h1>
      <Loaded state={images} label="Loading images…">
        {(list) => (
          <>
            {list.length === 0 && <p className="muted">No golden images yet.</p>}
            {list.map((img) => (
              <article key={img.id} className="card" aria-labelledby={`img-${img.id}`}>
                <h2 id={`img-${img.id}`}>{img.name}</h2>
                {img.description && <p className="muted">{img.description}</p>}
                <Versions image={img} />
              </article>
            ))}
            <NewImage onCreated={images.reload} />
          </>
        )}
      </Loaded>
    </section>
  );
}

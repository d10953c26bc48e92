import { useState, type FormEvent } from 'react';
import type { ImageView, VersionAction, VersionView } from '@forkdesk/broker-contract';
import { admin } from '../api/client';
import { fieldErrors } from '../api/errors';
import { Alert } from '../components/Alert';
import { Badge } from '../components/Badge';
import { ConfirmButton } from '../components/ConfirmButton';
import { Field } from '../components/Field';
import { Loaded } from '../components/Loaded';
import { Spinner } from '../components/Spinner';
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
  const [path, setPath] = useState('');
  const imp = useSubmit();
  const act = useSubmit();

  const importVersion = async (e: FormEvent) => {
    e.preventDefault();
    if (!path.trim()) {
      imp.setError('Enter the path of the image-builder manifest.');
      return;
    }
    if (await imp.run(() => admin.importVersion(image.id, path.trim()))) {
      setPath('');
      versions.reload();
    }
  };
  const pathError =
    typeof imp.error === 'string'
      ? imp.error
      : fieldErrors(imp.error, ['manifestPath']).byField.manifestPath;

  return (
    <div className="versions">
      <Loaded state={versions} label="Loading versions…">
        {(list) =>
          list.length === 0 ? (
            <p className="muted">No versions yet: import one from an image-builder manifest.</p>
          ) : (
            <table>
              <caption className="sr-only">Versions of {image.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">State</th>
                  <th scope="col">Size</th>
                  <th scope="col">Created</th>
                  <th scope="col">Published</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
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
              </tbody>
            </table>
          )
        }
      </Loaded>
      <Alert error={act.error} />
      <form className="inline-form" onSubmit={(e) => void importVersion(e)} noValidate>
        <Field
          label="Import a version from a manifest"
          placeholder="/var/lib/forkdesk/images/desktop/manifest.json"
          value={path}
          onChange={(e) => setPath(e.target.value)}
          error={pathError}
        />
        <button type="submit" className="btn" disabled={imp.busy}>
          {imp.busy ? <Spinner inline label="Importing…" /> : 'Import'}
        </button>
      </form>
      {imp.error && typeof imp.error !== 'string' && !pathError ? (
        <Alert error={imp.error} />
      ) : null}
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

function NewImage({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const s = useSubmit();
  const fe = fieldErrors(s.error, ['name', 'description']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await s.run(() => admin.createImage(name.trim(), description.trim()))) {
      setName('');
      setDescription('');
      onCreated();
    }
  };
  return (
    <form
      className="card form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="new-image"
    >
      <h2 id="new-image">New golden image</h2>
      <Alert error={s.error && !Object.keys(fe.byField).length ? s.error : null} />
      <div className="form-row">
        <Field
          label="Name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={fe.byField.name}
        />
        <Field
          label="Description"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={fe.byField.description}
        />
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary" disabled={s.busy}>
          {s.busy ? <Spinner inline label="Creating…" /> : 'Create image'}
        </button>
      </div>
    </form>
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

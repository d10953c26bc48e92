import { agentImageKey, parseAgentImageKey, parseManifest } from './manifest';

describe('image manifests', () => {
  it('accepts what the image builder writes', () => {
    const m = {
      name: 'tiny',
      hash: 'abcdef0123456789',
      kernel: '/cache/tiny/vmlinuz',
      initrd: '/cache/tiny/initrd.img',
      disk: '/cache/tiny/disk.qcow2',
      append: 'console=ttyS0',
      kernelRelease: '6.1.0',
      createdAt: '2026-01-01T00:00:00Z',
    };
    expect(parseManifest(m)).toEqual(m);
  });

  it('names every problem', () => {
    expect(() => parseManifest({ hash: 'x', disk: 'rel/disk', kernel: 3 })).toThrow(
      expect.objectContaining({
        response: expect.objectContaining({
          message: [
            'manifest.hash must be 8-64 letters or digits',
            'manifest.disk must be an absolute path',
            'manifest.kernel must be an absolute path',
          ],
        }),
      }),
    );
    expect(() => parseManifest([1])).toThrow();
  });

  it('round-trips the agent image key', () => {
    const id = '0b43919c-4298-44f2-bcbd-7c54e44b2529';
    expect(agentImageKey(id)).toBe(`v-${id}`);
    // Within the agent's image-version charset, whatever the image is called.
    expect(agentImageKey(id)).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
    expect(parseAgentImageKey(agentImageKey(id))).toBe(id);
    expect(parseAgentImageKey('tiny-test-v3')).toBeNull();
  });
});

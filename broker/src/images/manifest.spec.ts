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
    expect(agentImageKey('tiny-test', 3)).toBe('tiny-test-v3');
    expect(parseAgentImageKey('tiny-test-v3')).toEqual({ imageName: 'tiny-test', version: 3 });
    expect(parseAgentImageKey('tiny-test')).toBeNull();
  });
});

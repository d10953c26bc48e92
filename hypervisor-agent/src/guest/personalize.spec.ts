import { checkHostname, checkUserName } from './personalize';

describe('personalization input', () => {
  it('accepts sane names and rejects anything a shell or the guest could misread', () => {
    expect(checkHostname('desk-alice-01')).toBe('desk-alice-01');
    expect(checkUserName('alice_b')).toBe('alice_b');
    for (const bad of ['', '-x', 'a b', 'a;reboot', 'x'.repeat(64)])
      expect(() => checkHostname(bad)).toThrow(/hostname/);
    for (const bad of ['', 'Alice', '../x', 'a b', '1abc'])
      expect(() => checkUserName(bad)).toThrow(/user name/);
  });
});

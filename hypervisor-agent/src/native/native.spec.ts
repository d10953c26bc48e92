import { becomeChildSubreaper, isChildSubreaper } from './native';

describe('native (koffi)', () => {
  it('makes this process a child subreaper through prctl', () => {
    expect(becomeChildSubreaper()).toBe(true);
    expect(isChildSubreaper()).toBe(true);
  });
});

import { placeholder } from './index';
it('works', () => expect(placeholder).toBe(1));

import { describeError, fieldErrors } from './errors';
import { ApiError } from './http';

describe('error messages', () => {
  it('says what to do for each broker status', () => {
    expect(describeError(new ApiError(401, 'Unauthorized'))).toMatch(/sign in again/);
    expect(describeError(new ApiError(401, 'wrong username or password'))).toBe(
      'Wrong username or password.',
    );
    expect(describeError(new ApiError(429, 'locked', [], 30))).toBe(
      'Too many attempts. Try again in 30 s.',
    );
    expect(describeError(new ApiError(503, 'pool is at its maximum', [], 5))).toBe(
      'Pool is at its maximum. Try again in 5 s.',
    );
    expect(
      describeError(
        new ApiError(503, 'no host has room for a desktop of this pool right now', [], 15),
      ),
    ).toBe('No host has room for a desktop of this pool right now. Try again in 15 s.');
    expect(describeError(new ApiError(409, 'agent "a" already exists.'))).toBe(
      'Agent "a" already exists.',
    );
    expect(describeError(new ApiError(404, 'x'))).toMatch(/Not found/);
    expect(describeError(new ApiError(500, 'boom'))).toBe('The broker had a problem (500): boom.');
    expect(describeError(new TypeError('Failed to fetch'))).toMatch(/Cannot reach the broker/);
  });

  it('puts class-validator messages on their fields', () => {
    const err = new ApiError(400, '', [
      'maxSize must not be less than 1',
      'name should not be empty',
      'maxSize must be an integer number',
      'something else',
    ]);
    expect(fieldErrors(err, ['name', 'maxSize', 'max'])).toEqual({
      byField: {
        name: 'name should not be empty',
        maxSize: 'maxSize must not be less than 1; maxSize must be an integer number',
      },
      rest: ['something else'],
    });
    expect(fieldErrors(new Error('x'), ['name'])).toEqual({ byField: {}, rest: [] });
  });
});

import { NotFoundException, ParseUUIDPipe } from '@nestjs/common';

/** A malformed id names nothing: 404, like an unknown one (no hint about what exists). */
export const UuidParam = new ParseUUIDPipe({
  exceptionFactory: () => new NotFoundException('not found'),
});

import { ValidationPipe } from '@nestjs/common';

/** class-validator on every body/query: unknown fields refused, field messages in 400s. */
export const createValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
  });

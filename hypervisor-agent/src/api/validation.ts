// Request validation: 400 with one message per offending field.

import {
  BadRequestException,
  Injectable,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { FieldError } from '@forkdesk/agent-contract';
import { ID_PATTERN } from './dto/requests.dto';

/** Flattens nested class-validator errors to dotted field paths (shape.vcpus). */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...fieldErrors(e.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => {
      const fields = fieldErrors(errors);
      return new BadRequestException({
        statusCode: 400,
        message: fields.flatMap((f) => f.messages).join('; '),
        errors: fields,
      });
    },
  });
}

/** Checks an :id path parameter before it reaches the engine. */
@Injectable()
export class IdParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID_PATTERN.test(value)) {
      throw new BadRequestException({
        statusCode: 400,
        message: `id "${value.slice(0, 64)}" is not a valid id`,
        errors: [{ field: 'id', messages: ['id is not a valid id'] }],
      });
    }
    return value;
  }
}

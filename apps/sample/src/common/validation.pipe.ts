import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * Rejects unknown and invalid fields with a 400 that names each of them:
 * `{ message: ['items.0.qty must not be less than 1'], fields: ['items.0.qty'] }`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const problems = flatten(errors);
      return new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: problems.map((problem) => problem.message),
        fields: [...new Set(problems.map((problem) => problem.field))],
      });
    },
  });
}

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((text) => ({
      field,
      // class-validator names nested properties by their own name only; say the full path.
      message:
        parent && text.startsWith(`${error.property} `)
          ? `${field}${text.slice(error.property.length)}`
          : text,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

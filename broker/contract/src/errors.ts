/**
 * Every error answer of the broker's API: `message` is a sentence, or the list of field
 * messages of a 400 (class-validator: each starts with the property's name). 429 and 503
 * answers carry a Retry-After header.
 */
export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error?: string;
}

export { type HttpErrorResponse, toHttpError } from './http/http-error.js';

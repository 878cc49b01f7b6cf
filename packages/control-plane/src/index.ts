export { type HttpErrorResponse, toHttpError } from './http-error.js';

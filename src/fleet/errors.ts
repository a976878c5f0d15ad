import { GitfleetError } from '../core/errors.js';

/**
 * A template could not be rendered: an unknown key or function, a syntax error, or a function
 * given the wrong arguments. `fieldPath` names the field inside the rendered object
 * (`spec.source.path`, `metadata.labels["app.kubernetes.io/name"]`); the caller prefixes the
 * ApplicationSet. Always terminal: the ApplicationSet has to change.
 */
export class TemplateError extends GitfleetError {
  readonly fieldPath: string;
  constructor(fieldPath: string, message: string, options: { cause?: unknown } = {}) {
    super('applicationset.TemplateError', `${fieldPath || '(template)'}: ${message}`, options);
    this.fieldPath = fieldPath;
  }
}

/**
 * A generator could not produce its parameter sets. `generatorPath` names it inside the
 * ApplicationSet (`generators[1].matrix.generators[0].git`). Spec mistakes are terminal; a failed
 * port call keeps the port error as `cause` and is transient unless that error says otherwise.
 */
export class GeneratorError extends GitfleetError {
  readonly generatorPath: string;
  constructor(
    generatorPath: string,
    message: string,
    options: { cause?: unknown; transient?: boolean } = {},
  ) {
    super('applicationset.GeneratorError', `${generatorPath}: ${message}`, options);
    this.generatorPath = generatorPath;
  }
}

/** Types of scripts/openapi.mjs, for the integration test that imports it. */
export interface LintProblem {
  severity: 'error' | 'warn';
  ruleId: string;
  message: string;
  /** JSON pointer into the document, e.g. `#/paths/~1health/get`. */
  pointer: string;
  /** A warning listed in ACCEPTED_WARNINGS. */
  accepted: boolean;
}

export const DOCUMENT_FILE: string;
export const CLIENT_TYPES_FILE: string;
export const ACCEPTED_WARNINGS: { ruleId: string; pointer: string }[];
export function documentText(document: object): string;
export function lintDocument(document: object): Promise<LintProblem[]>;
export function clientTypesSource(document: object): Promise<string>;
export function wrapCommentLines(source: string, width: number): string;

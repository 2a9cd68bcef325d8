/**
 * The rules of SPEC §4 in order: the short code an auditor cites (`R1`), the engine's code word
 * and the name an officer reads. Screens show the name with the code beside it, never the code
 * alone: "R4" means nothing to someone who has not read the specification.
 */
export const RULES: readonly { rule: string; code: string; name: string }[] = [
  { rule: 'R1', code: 'unnamed-recipient', name: 'Unnamed recipient' },
  { rule: 'R2', code: 'no-valid-consent', name: 'No valid consent' },
  { rule: 'R3', code: 'processing-after-withdrawal', name: 'Processing after withdrawal' },
  { rule: 'R4', code: 'incomplete-record', name: 'Incomplete record' },
  { rule: 'R5', code: 'indirect-consent', name: 'Indirect consent' },
  { rule: 'R6', code: 'invalid-method', name: 'Invalid method' },
  { rule: 'R7', code: 'withdrawal-not-propagated', name: 'Withdrawal not propagated' },
  { rule: 'R8', code: 'stale-consent', name: 'Stale consent' },
  { rule: 'R9', code: 'missing-double-opt-in', name: 'Missing double opt-in' },
  { rule: 'R10', code: 'child-consent', name: 'Child consent' },
  { rule: 'R11', code: 'tcf-invalid-legitimate-interest', name: 'TCF invalid legitimate interest' },
];

const BY_RULE = new Map(RULES.map((entry) => [entry.rule, entry.name]));

/** The rule's name (`Unnamed recipient`); a rule this build does not know keeps its code. */
export function ruleName(rule: string): string {
  return BY_RULE.get(rule) ?? rule;
}

/** The name with the code beside it, for one-line labels: `Unnamed recipient (R1)`. */
export function ruleTitle(rule: string): string {
  const name = ruleName(rule);
  return name === rule ? rule : `${name} (${rule})`;
}

import type { AstNode } from './ast.js';
export function planGapfill(_node: AstNode): AstNode | undefined {
  return undefined;
}

/**
 * Pairs the members of two layers by name as they stream in, one from each
 * side at a time.  Members that arrive in the same order pair at once and
 * nothing is kept; a member whose partner has not come yet waits in its
 * side's pending map (its summary only, not its content) until it does, and
 * what still waits at the end is only on that side.  An insertion or a
 * removal shifts one side by a member, and the pending maps then hold a
 * member or two; only orders that really differ make them grow.
 *
 * Member order is not a difference by itself: extracted, the layer is the
 * same tree (a changed order still changes the layer's bytes, which the
 * layer's status says).
 */
import { fieldChanges } from "./member-summary.ts";
import type { DiffOptions, MemberChange, MemberSummary } from "./diff-types.ts";

/** Summaries waiting for a partner, by pairing key; a key may repeat (a path written twice), each waits in turn. */
class Pending {
  private readonly byKey = new Map<string, MemberSummary[]>();
  size = 0;

  put(member: MemberSummary): void {
    const queue = this.byKey.get(member.key);
    if (queue === undefined) this.byKey.set(member.key, [member]);
    else queue.push(member);
    this.size++;
  }

  /** The oldest waiting member of that key, removed. */
  take(key: string): MemberSummary | undefined {
    const queue = this.byKey.get(key);
    if (queue === undefined) return undefined;
    const member = queue.shift()!;
    if (queue.length === 0) this.byKey.delete(key);
    this.size--;
    return member;
  }

  /** What waits, in the order it arrived (by key first seen). */
  all(): MemberSummary[] {
    return [...this.byKey.values()].flat();
  }
}

export class MemberPairing {
  private readonly options: DiffOptions;
  private readonly pendingA = new Pending();
  private readonly pendingB = new Pending();
  readonly changed: MemberChange[] = [];
  /** The most members waiting at once, both sides together. */
  peakPending = 0;

  constructor(options: DiffOptions) {
    this.options = options;
  }

  /** The next member of each side (undefined once a side has ended). */
  step(a: MemberSummary | undefined, b: MemberSummary | undefined): void {
    let bPaired = false;
    if (a !== undefined) {
      const partner = this.pendingB.take(a.key);
      if (partner !== undefined) this.compare(a, partner);
      else if (b !== undefined && b.key === a.key) {
        this.compare(a, b);
        bPaired = true;
      } else this.pendingA.put(a);
    }
    if (b !== undefined && !bPaired) {
      const partner = this.pendingA.take(b.key);
      if (partner !== undefined) this.compare(partner, b);
      else this.pendingB.put(b);
    }
    this.peakPending = Math.max(this.peakPending, this.pendingA.size + this.pendingB.size);
  }

  private compare(a: MemberSummary, b: MemberSummary): void {
    const fields = fieldChanges(a, b, this.options);
    if (fields.size > 0) this.changed.push({ name: a.name, fields });
  }

  /** Members only in A: call once both sides have ended. */
  removed(): MemberSummary[] {
    return this.pendingA.all();
  }

  /** Members only in B. */
  added(): MemberSummary[] {
    return this.pendingB.all();
  }
}

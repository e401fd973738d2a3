import type { Client as WsClient } from 'graphql-ws';
import { subscribe, type Collector } from './server';

/** A live subscription of a test, with what it received unwrapped from `data`. */
export interface Sub {
  c: Collector<any>;
  events(): any[];
  stop(): void;
}

/** Subscribes with `query` and reads each event from `data[field]`. */
export function open(ws: WsClient, field: string, query: string, variables: Record<string, unknown>): Sub {
  const { collector, stop } = subscribe(ws, query, variables);
  return { c: collector, events: () => collector.items.map((item) => item[field]), stop };
}

/** Whether every sub satisfies `predicate` within `ms`. */
export async function within(ms: number, subs: Sub[], predicate: (s: Sub) => boolean): Promise<boolean> {
  try {
    await Promise.all(subs.map((s) => s.c.waitFor(() => predicate(s), ms)));
    return true;
  } catch {
    return false;
  }
}

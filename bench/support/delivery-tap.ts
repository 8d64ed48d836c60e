/**
 * A TCP relay between the engine and sdr-sim that reads sdr-sim's answers as they pass: sdr-sim's /admin/stats
 * counts ACKs and NACKs but not why, and a regression that NACKs every Part 43 report (SEQ-001, say) should show
 * by its code. Bytes go through unchanged in both directions (the engine's keep-alive connections included);
 * only the direction from sdr-sim is scanned (AnswerTally). It runs in the benchmark's process, whose CPU is
 * reported apart from the engine's; BENCH_NACK_CODES=0 leaves it out (the engine then talks to sdr-sim directly).
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { AnswerTally } from './delivery-stats.js';

export interface AnswerCounts {
  acks: number;
  nacks: number;
  codes: Record<string, number>;
}

export interface AnswerTap {
  port: number;
  /** What sdr-sim has answered through the tap so far (every connection). */
  counts(): AnswerCounts;
  close(): Promise<void>;
}

export function startAnswerTap(targetPort: number, host = '127.0.0.1'): Promise<AnswerTap> {
  // One tally per connection: answers on two connections interleave, and a match may be split over chunks.
  const tallies: AnswerTally[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, host);
    const tally = new AnswerTally();
    tallies.push(tally);
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    upstream.on('data', (chunk: Buffer) => {
      tally.push(chunk);
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.pipe(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    upstream.on('end', () => client.end());
    upstream.on('error', end);
    client.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        counts: () => {
          const out: AnswerCounts = { acks: 0, nacks: 0, codes: {} };
          for (const t of tallies) {
            out.acks += t.acks;
            out.nacks += t.nacks;
            for (const [c, n] of Object.entries(t.codes)) out.codes[c] = (out.codes[c] ?? 0) + n;
          }
          return out;
        },
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

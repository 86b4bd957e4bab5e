// What the Worker in workerd sends its events to, on loopback: a relay to the local stack's SQS
// (moto), which can hold moto's answers back (to show that the Worker answers while its sends
// are unanswered), or an SQS that accepts each request and never answers. Either records each
// SendMessage it receives: which event, when, and when moto answered it.

import { createServer, type IncomingHttpHeaders, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Send {
  requestId: string;
  eventType: string;
  deduplicationId: string;
  /** When the request had arrived whole (`performance.now()`). */
  arrived: number;
  /** When moto's answer came (not when it was let through to the Worker), and its status. */
  answered?: number;
  status?: number;
}

export class LoopbackSqs {
  readonly sends: Send[] = [];
  /** moto's answers waiting to be let through, while held. */
  private held: (() => void)[] | undefined;

  private constructor(
    private readonly server: Server,
    /** moto's endpoint, or none: never answer. */
    private readonly target: string | undefined,
  ) {
    server.on("request", (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const body = Buffer.concat(chunks);
        const send = LoopbackSqs.sendIn(body);
        this.sends.push(send);
        if (this.target !== undefined) {
          this.relay(request.method ?? "POST", request.url ?? "/", request.headers, body, send, (status, headers, answer) => {
            const deliver = () => {
              response.writeHead(status, headers);
              response.end(answer);
            };
            if (this.held) {
              this.held.push(deliver);
            } else {
              deliver();
            }
          });
        }
      });
    });
  }

  /** A relay to `target` (moto), which signs and checks as SQS does: the Host header goes as it came. */
  static relayTo(target: string): Promise<LoopbackSqs> {
    return LoopbackSqs.listening(target);
  }

  /** An SQS that accepts each request, reads it, and never answers. */
  static neverAnswering(): Promise<LoopbackSqs> {
    return LoopbackSqs.listening(undefined);
  }

  private static async listening(target: string | undefined): Promise<LoopbackSqs> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new LoopbackSqs(server, target);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** From now on, moto's answers wait until `release`. */
  hold(): void {
    this.held ??= [];
  }

  /** Lets every held answer through, and the next ones at once. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    held.forEach((deliver) => deliver());
  }

  sendsOf(requestId: string): Send[] {
    return this.sends.filter((s) => s.requestId === requestId);
  }

  /** Waits until `count` sends have their answer from moto, for at most `timeoutMs`; how many have. */
  async answered(count: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const done = () => this.sends.filter((s) => s.answered !== undefined).length;
    while (done() < count && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return done();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Which event a SendMessage carries (SQS's JSON protocol: the event is the MessageBody). */
  private static sendIn(body: Buffer): Send {
    const arrived = performance.now();
    try {
      const message = JSON.parse(body.toString()) as { MessageBody?: string; MessageDeduplicationId?: string };
      const event = JSON.parse(message.MessageBody ?? "{}") as { requestId?: string; eventType?: string };
      return {
        requestId: event.requestId ?? "",
        eventType: event.eventType ?? "",
        deduplicationId: message.MessageDeduplicationId ?? "",
        arrived,
      };
    } catch {
      return { requestId: "", eventType: "", deduplicationId: "", arrived };
    }
  }

  private relay(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    send: Send,
    answer: (status: number, headers: IncomingHttpHeaders, body: Buffer) => void,
  ): void {
    const upstream = httpRequest(new URL(path, this.target), { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        send.answered = performance.now();
        send.status = response.statusCode ?? 0;
        answer(send.status, response.headers, Buffer.concat(chunks));
      });
    });
    upstream.on("error", (error) => answer(502, {}, Buffer.from(`relay: ${error.message}`)));
    upstream.end(body);
  }
}

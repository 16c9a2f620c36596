import {
  LogController,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { loggerOptions, resolveLogFormat, type LogFormatSetting } from './logging.js';
import { say } from '../text/terminal-language.js';
import { operatorLogMessages } from './log-messages.js';

/**
 * Which requests the log shows. At `info` a line per API request once answered (what people and
 * devices did), not one per script, stylesheet or picture of the web app, nor health checks; at
 * `debug` every request, when it arrives and when it is answered.
 */
class RequestLogController extends LogController {
  /** Worded once: the process's language does not change while it serves. */
  private readonly said = {
    incomingRequest: say(operatorLogMessages.incomingRequest),
    requestCompleted: say(operatorLogMessages.requestCompleted),
    requestErrored: say(operatorLogMessages.requestErrored),
  };

  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, this.said.incomingRequest);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, this.said.requestErrored);
    else if (isApiRequest(request)) reply.log.info(fields, this.said.requestCompleted);
    else reply.log.debug(fields, this.said.requestCompleted);
  }
}

function isApiRequest(request: FastifyRequest): boolean {
  return request.url === '/api' || request.url.startsWith('/api/');
}

/** The logging half of the server's Fastify options. */
export function serverLogging(
  level: string,
  stream: NodeJS.WritableStream | undefined,
  format: LogFormatSetting,
): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logger: loggerOptions(level, stream, resolveLogFormat(format, stream ?? process.stdout)),
    logController: new RequestLogController(),
  };
}

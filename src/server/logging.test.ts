import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loggerOptions, type LogFormat } from './logging.js';

function captureLogger(format: LogFormat = 'json') {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString('utf8');
      done();
    },
  });
  const options = loggerOptions('info', stream, format) as pino.LoggerOptions & {
    stream: pino.DestinationStream;
  };
  // The options carry the destination, which formats the lines for a terminal.
  return { logger: pino(options, options.stream), written: () => written };
}

describe('log redaction', () => {
  it('censors secret fields at any depth, in arrays too, and keeps everything else', () => {
    const { logger, written } = captureLogger();
    logger.info(
      {
        user: 'ada',
        a: { b: { c: { d: { password: 'Deep-Secret-1', kept: 'visible' } } } },
        items: [{ recoveryPassword: '111111-222222' }],
        token: 'top-level-token',
      },
      'an event',
    );
    const line = JSON.parse(written()) as Record<string, unknown>;
    assert.deepEqual(line.a, { b: { c: { d: { password: '[redacted]', kept: 'visible' } } } });
    assert.deepEqual(line.items, [{ recoveryPassword: '[redacted]' }]);
    assert.equal(line.token, '[redacted]');
    assert.equal(line.user, 'ada');
    assert.equal(written().includes('Deep-Secret-1'), false);
  });

  it('censors credential headers and survives objects that refer to themselves', () => {
    const { logger, written } = captureLogger();
    const looped: Record<string, unknown> = { secret: 'looped-secret' };
    looped.self = looped;
    logger.info({ req: { headers: { cookie: 'keyhold-browser=abc', host: 'x' } }, looped });
    const line = JSON.parse(written()) as { req: { headers: Record<string, string> } };
    assert.equal(line.req.headers.cookie, '[redacted]');
    assert.equal(line.req.headers.host, 'x');
    assert.equal(written().includes('looped-secret'), false);
  });
});

describe('log lines for a terminal (--log-format pretty)', () => {
  it('censor the same secrets and headers as JSON lines, and are not JSON', () => {
    const { logger, written } = captureLogger('pretty');
    logger.info(
      {
        a: { b: { password: 'Deep-Secret-1', kept: 'visible' } },
        items: [{ recoveryPassword: '111111-222222' }],
        headers: { 'x-keyhold-csrf': 'csrf-value', cookie: 'keyhold-browser=abc' },
      },
      'an event',
    );
    logger.info(
      { req: { method: 'GET', url: '/api/v1/keys', headers: { authorization: 'Bearer t0k3n' } } },
      'incoming request',
    );
    const text = written();
    assert.match(text, /INFO.*an event/);
    assert.match(text, /visible/);
    assert.match(text, /GET \/api\/v1\/keys \(incoming request\)/);
    for (const secret of ['Deep-Secret-1', '111111-222222', 'csrf-value', 'browser=abc', 't0k3n']) {
      assert.equal(text.includes(secret), false, `${secret} was written`);
    }
    assert.equal(text.trimStart().startsWith('{'), false);
  });
});

import type { FastifyReply } from 'fastify';

/**
 * `attachment` with a plain ASCII name for old clients and the exact name (RFC 6266 / 5987)
 * for the rest, so an uploaded file comes back under the name it was sent with.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** A CSV file to save (a report, an audit export): downloaded, never kept by a cache. */
export function sendCsv(reply: FastifyReply, file: { fileName: string; body: string }) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', contentDisposition(file.fileName))
    .header('cache-control', 'no-store')
    .send(file.body);
}

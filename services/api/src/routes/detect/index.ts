import multipart from '@fastify/multipart';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { frameJobOptions, newId, type FrameJob, type FrameResult } from '@riverwatch/common';
import { readUploadedImage } from '../../detect/image-check.ts';
import { HttpError, notFound } from '../../http-error.ts';
import { errorResponses } from '../../schemas/common.ts';
import { DetectQuery, DetectResponse, FrameIdParams } from '../../schemas/detect.ts';

const tags = ['detect'];

/**
 * POST /v1/detect: one image through the same pipeline as camera frames. The
 * bytes go to Redis and a frame job to the queue (job id = frame id); the
 * request waits for the worker's result.
 */
const detectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { config, detectFrames, frameQueue, frameEvents } = app.deps;
  const maxBytes = config.api.maxUploadBytes;

  // Only images and multipart are parsed here: JSON or text bodies (valid or not) reach the handler as bytes and get a 415.
  app.removeAllContentTypeParsers();
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 5, parts: 6 }, throwFileSizeLimit: true });
  // Raw bodies of any other type arrive as bytes; the handler decides from the bytes whether they are an image.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/detect',
    {
      bodyLimit: maxBytes,
      config: { role: 'operator' },
      schema: {
        tags,
        querystring: DetectQuery,
        consumes: ['image/jpeg', 'image/png', 'multipart/form-data'],
        response: { 200: DetectResponse, ...errorResponses(400, 413, 415, 502, 504) },
      },
    },
    async (request) => {
      let bytes: Buffer;
      if (request.isMultipart()) {
        bytes = await readMultipartFile(() => request.file());
      } else if (Buffer.isBuffer(request.body)) {
        bytes = request.body;
      } else {
        throw new HttpError(415, `send a JPEG or PNG image (image/jpeg, image/png or multipart/form-data), not ${request.headers['content-type'] ?? 'no content type'}`);
      }
      const { width, height } = await readUploadedImage(bytes);

      const frameId = newId('frm');
      await detectFrames.putFrame(frameId, bytes, config.frameTtlSeconds);
      const job: FrameJob = { cameraId: 'upload', frameId, capturedAt: Date.now(), seq: 0, width, height, source: 'upload' };
      if (request.query.model) job.detectorModel = request.query.model;
      const queued = await frameQueue.add('frame', job, frameJobOptions(frameId, config.worker.frameAttempts));

      let result: FrameResult;
      try {
        result = (await queued.waitUntilFinished(frameEvents, config.api.detectTimeoutMs)) as FrameResult;
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (/timed out/i.test(message)) throw new HttpError(504, 'detection did not finish in time');
        request.log.warn({ frameId, err: message }, 'detection job failed');
        throw new HttpError(502, 'detection failed');
      }
      const hasMask = await detectFrames.hasMask(frameId);
      return {
        ...result,
        annotatedUrl: `/v1/detect/${frameId}/annotated.jpg`,
        maskUrl: hasMask ? `/v1/detect/${frameId}/mask.png` : null,
      };
    },
  );

  const image = Type.Unknown({ description: 'image bytes' });
  app.get('/detect/:frameId/annotated.jpg', { schema: { tags, params: FrameIdParams, response: { 200: image, ...errorResponses(404) } } }, async (request, reply) => {
    const bytes = await detectFrames.resultImage(request.params.frameId, 'annotated');
    if (!bytes) throw notFound(`annotated image of ${request.params.frameId}`);
    return reply.type('image/jpeg').send(bytes);
  });

  app.get('/detect/:frameId/mask.png', { schema: { tags, params: FrameIdParams, response: { 200: image, ...errorResponses(404) } } }, async (request, reply) => {
    const bytes = await detectFrames.resultImage(request.params.frameId, 'mask');
    if (!bytes) throw notFound(`water mask of ${request.params.frameId}`);
    return reply.type('image/png').send(bytes);
  });
};

export default detectRoutes;

/**
 * The one file part's bytes. A body that ends inside a part (cut short, or a closing
 * boundary missing) is the client's mistake: a 400, not the stream's "Premature close" as a 500.
 * The plugin's own errors (file too large: 413, too many parts) keep their status.
 */
async function readMultipartFile(file: () => Promise<{ toBuffer(): Promise<Buffer> } | undefined>): Promise<Buffer> {
  try {
    const part = await file();
    if (!part) throw new HttpError(400, 'the multipart request has no file part');
    return await part.toBuffer();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode) throw err;
    throw new HttpError(400, `the multipart body could not be read (${(err as Error).message}): send one complete file part`);
  }
}

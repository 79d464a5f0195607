import { describe, expect, it } from 'vitest';
import { parseS3Repository } from './s3-repository-sync.ts';

describe('parseS3Repository', () => {
  it('reads s3:// locations, also after the config resolved them as a path', () => {
    expect(parseS3Repository('s3://models/prod/v2')).toEqual({ bucket: 'models', prefix: 'prod/v2/' });
    expect(parseS3Repository('/srv/app/s3:/models/prod')).toEqual({ bucket: 'models', prefix: 'prod/' });
    expect(parseS3Repository('s3://models')).toEqual({ bucket: 'models', prefix: '' });
  });

  it('leaves plain directories alone', () => {
    expect(parseS3Repository('/srv/riverwatch/models')).toBeUndefined();
    expect(parseS3Repository('./s3models')).toBeUndefined();
  });
});

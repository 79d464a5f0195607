import { isRecord } from './json-value.ts';

/** One `images:` entry of a kustomization. */
export interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

/** `registry:5000/team/app:1.2@sha256:…` → name, tag, digest (a colon before the last slash is a port). */
export function parseImageRef(ref: string): ImageRef {
  const [nameAndTag, digest] = ref.split('@', 2) as [string, string | undefined];
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  return { name: hasTag ? nameAndTag.slice(0, colon) : nameAndTag, tag: hasTag ? nameAndTag.slice(colon + 1) : undefined, digest };
}

/**
 * Kustomize's image transformer on one reference: it matches on the name alone, so an overlay
 * must name the image as its base left it (after the base's own `images:` ran), not as written.
 */
export function overrideImage(ref: string, override: ImageOverride): string | undefined {
  const image = parseImageRef(ref);
  if (image.name !== override.name) return undefined;
  const name = override.newName ?? image.name;
  // A new tag drops an old digest and a new digest drops an old tag; both together keep both.
  const tag = override.newTag ?? (override.digest ? undefined : image.tag);
  const digest = override.digest ?? (override.newTag ? undefined : image.digest);
  return `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** Rewrites `image` in every `containers` and `initContainers` list anywhere in the object; returns how many changed. */
export function applyImageOverride(node: unknown, override: ImageOverride): number {
  let changed = 0;
  if (Array.isArray(node)) {
    for (const e of node) changed += applyImageOverride(e, override);
  } else if (isRecord(node)) {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
        for (const c of value) {
          if (!isRecord(c) || typeof c.image !== 'string') continue;
          const next = overrideImage(c.image, override);
          if (next !== undefined) {
            c.image = next;
            changed++;
          }
        }
      } else {
        changed += applyImageOverride(value, override);
      }
    }
  }
  return changed;
}

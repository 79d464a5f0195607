import type { Point, Zones } from '../api/types.ts';
import { framePoint, frameScale, type ZoneKind } from './frame-canvas.ts';
import { distance, vertexAt, zoneAt, type VertexRef } from './zone-geometry.ts';

/** CSS pixels within which a click counts as hitting a vertex. */
const HIT_PX = 10;

export interface ZoneEditorState {
  zones: Zones;
  draft: { kind: ZoneKind; points: Point[] } | null;
  selected: { kind: ZoneKind; index: number } | null;
  dirty: boolean;
}

/**
 * Zones drawn and edited with the mouse (or a finger) on the frame canvas: in drawing mode each
 * click adds a corner and a click on the first corner (or Finish, Enter, a double click) closes
 * the polygon, Escape drops it; otherwise corners are dragged and a click selects a zone (Delete
 * removes it). Coordinates are frame pixels, as the
 * worker filters boxes in them.
 */
export class ZoneEditor {
  readonly state: ZoneEditorState;
  private dragging: VertexRef | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    zones: Zones,
    private readonly onChange: () => void,
  ) {
    this.state = { zones: structuredClone(zones), draft: null, selected: null, dirty: false };
    // Pointer events: the same code for a mouse and a finger on a phone.
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', () => (this.dragging = null));
    canvas.addEventListener('pointercancel', () => (this.dragging = null));
    canvas.addEventListener('dblclick', (e) => {
      e.preventDefault();
      this.finish();
    });
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', (e) => this.key(e));
  }

  /** Replaces the zones (the camera was saved or changed elsewhere) unless there are unsaved edits. */
  reset(zones: Zones): void {
    if (this.state.dirty || this.state.draft) return;
    this.state.zones = structuredClone(zones);
    this.state.selected = null;
    this.onChange();
  }

  startDrawing(kind: ZoneKind): void {
    this.state.draft = { kind, points: [] };
    // While drawing, a finger on the picture places corners instead of scrolling the page.
    this.canvas.style.touchAction = 'none';
    this.state.selected = null;
    this.onChange();
  }

  /** Closes the polygon being drawn; fewer than three corners is no polygon and is dropped. */
  finish(): void {
    const draft = this.state.draft;
    if (!draft) return;
    this.state.draft = null;
    this.canvas.style.touchAction = '';
    if (draft.points.length >= 3) {
      this.state.zones[draft.kind].push(draft.points);
      this.state.selected = { kind: draft.kind, index: this.state.zones[draft.kind].length - 1 };
      this.state.dirty = true;
    }
    this.onChange();
  }

  cancel(): void {
    this.state.draft = null;
    this.canvas.style.touchAction = '';
    this.onChange();
  }

  undoPoint(): void {
    this.state.draft?.points.pop();
    this.onChange();
  }

  deleteSelected(): void {
    const sel = this.state.selected;
    if (!sel) return;
    this.state.zones[sel.kind].splice(sel.index, 1);
    this.state.selected = null;
    this.state.dirty = true;
    this.onChange();
  }

  markSaved(): void {
    this.state.dirty = false;
    this.onChange();
  }

  private key(event: KeyboardEvent): void {
    if (event.key === 'Escape') this.cancel();
    else if (event.key === 'Enter') this.finish();
    else if (event.key === 'Delete' || event.key === 'Backspace') this.state.draft ? this.undoPoint() : this.deleteSelected();
    else return;
    event.preventDefault();
  }

  private down(event: PointerEvent): void {
    if (event.button !== 0) return;
    this.canvas.focus({ preventScroll: true });
    const point = framePoint(this.canvas, event);
    const radius = HIT_PX * frameScale(this.canvas);
    const draft = this.state.draft;
    if (draft) {
      if (draft.points.length >= 3 && distance(draft.points[0]!, point) <= radius) this.finish();
      else {
        draft.points.push(point);
        this.onChange();
      }
      return;
    }
    const vertex = vertexAt(this.state.zones, point, radius);
    if (vertex) {
      this.dragging = vertex;
      this.canvas.setPointerCapture(event.pointerId);
      this.state.selected = { kind: vertex.kind, index: vertex.index };
    } else {
      this.state.selected = zoneAt(this.state.zones, point);
    }
    this.onChange();
  }

  private move(event: PointerEvent): void {
    const drag = this.dragging;
    if (!drag) return;
    this.state.zones[drag.kind][drag.index]![drag.vertex] = framePoint(this.canvas, event);
    this.state.dirty = true;
    this.onChange();
  }
}

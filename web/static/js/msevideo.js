// Fragmented MP4 in a <video> through Media Source Extensions: live streams (chunked HTTP from
// /api/video/<cam>/live.mp4, appended in "sequence" mode and kept at the live edge) and recorded
// segments (each placed at its own time on a shared timeline, gaps skipped).

const LIVE_EDGE_S = 0.15; // how far behind the newest frame a live video plays
const MAX_LATENCY_S = 1.0; // further behind than this: jump to the edge
const KEEP_S = 20; // buffered video kept behind the play position

export function mseSupported() {
  return typeof MediaSource !== "undefined" && MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"');
}

function fourcc(bytes, at) {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/** Offset of the first box named `type` (searched before the first mdat), or -1. */
function findBox(bytes, type) {
  const stop = Math.min(bytes.length - 8, 1 << 20);
  for (let i = 4; i < stop; i++) {
    const name = fourcc(bytes, i);
    if (name === type) return i - 4;
    if (name === "mdat") return -1;
  }
  return -1;
}

/** The MSE type of an init segment: `video/mp4; codecs="avc1.PPCCLL"` from its avcC box. */
export function mimeOf(bytes) {
  const at = findBox(bytes, "avcC");
  if (at < 0) return null;
  const hex = (n) => n.toString(16).padStart(2, "0");
  return `video/mp4; codecs="avc1.${hex(bytes[at + 9])}${hex(bytes[at + 10])}${hex(bytes[at + 11])}"`;
}

function u32(b, i) { return ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3]; }

/** Media time (s) of the first fragment of a recorded segment (mdhd timescale, tfdt). */
export function firstTime(bytes) {
  const mdhd = findBox(bytes, "mdhd");
  const tfdt = findBox(bytes, "tfdt");
  if (mdhd < 0 || tfdt < 0) return 0;
  const scale = bytes[mdhd + 8] === 1 ? u32(bytes, mdhd + 28) : u32(bytes, mdhd + 20);
  const base = bytes[tfdt + 8] === 1
    ? u32(bytes, tfdt + 12) * 2 ** 32 + u32(bytes, tfdt + 16) : u32(bytes, tfdt + 12);
  return scale ? base / scale : 0;
}

/** Appends buffers to a SourceBuffer one at a time. */
class Appender {
  constructor(buffer) {
    this.buffer = buffer;
    this.queue = [];
    buffer.addEventListener("updateend", () => this.next());
  }
  push(data, before) {
    return new Promise((resolve, reject) => {
      this.queue.push({ data, before, resolve, reject });
      this.next();
    });
  }
  next() {
    if (this.buffer.updating || !this.queue.length) return;
    const job = this.queue.shift();
    try {
      if (job.before) job.before(this.buffer);
      const done = () => { this.buffer.removeEventListener("updateend", done); job.resolve(); };
      this.buffer.addEventListener("updateend", done);
      this.buffer.appendBuffer(job.data);
    } catch (err) { job.reject(err); }
  }
}

function openSource(video) {
  const source = new MediaSource();
  const url = URL.createObjectURL(source);
  video.src = url;
  return new Promise((resolve) => source.addEventListener("sourceopen", () => resolve({ source, url }), { once: true }));
}

/** A live camera stream in `video`; `onstate(state, detail)`: playing | waiting | ended | unsupported. */
export class LivePlayer {
  constructor(video, url, { onstate = () => {} } = {}) {
    this.video = video;
    this.url = url;
    this.onstate = onstate;
    this.stopped = false;
    this.failures = 0;
    this.run();
  }

  async run() {
    const { source, url } = await openSource(this.video);
    this.objectUrl = url;
    let appender = null;
    while (!this.stopped) {
      this.abort = new AbortController();
      let got = 0;
      try {
        const res = await fetch(this.url, { credentials: "same-origin", signal: this.abort.signal });
        if (!res.ok || !res.body) throw new Error(`live stream: ${res.status}`);
        const reader = res.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done || this.stopped) break;
          if (!appender) {
            const mime = mimeOf(value);
            if (!mime || !MediaSource.isTypeSupported(mime)) { this.onstate("unsupported", mime); this.stop(); return; }
            const buffer = source.addSourceBuffer(mime);
            buffer.mode = "sequence";
            appender = new Appender(buffer);
          }
          got += value.length;
          await appender.push(value);
          this.keepUp(appender.buffer);
        }
      } catch (err) {
        if (this.stopped) return;
      }
      this.failures = got ? 0 : this.failures + 1;
      if (this.failures >= 3) { this.onstate("ended", "no video from the camera"); }
      else this.onstate("waiting", "reconnecting");
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** this.failures)));
    }
  }

  keepUp(buffer) {
    const v = this.video;
    if (!buffer.buffered.length) return;
    const end = buffer.buffered.end(buffer.buffered.length - 1);
    const start = buffer.buffered.start(0);
    if (end - v.currentTime > MAX_LATENCY_S || v.currentTime < start) v.currentTime = Math.max(start, end - LIVE_EDGE_S);
    if (v.paused) v.play().catch(() => {});
    if (v.currentTime - start > 2 * KEEP_S && !buffer.updating) buffer.remove(start, v.currentTime - KEEP_S);
    this.onstate("playing");
  }

  stop() {
    this.stopped = true;
    if (this.abort) this.abort.abort();
    // the last frame stays on screen: the element keeps its picture until src changes
  }
}

/** Recorded segments of one camera on a timeline starting at `origin` (ms since epoch). */
export class SegmentPlayer {
  constructor(video, origin) {
    this.video = video;
    this.origin = origin;
    this.segments = [];
    this.loaded = new Set();
    this.ready = this.open();
    video.addEventListener("waiting", () => this.skipGap());
    const quiet = () => {}; // a failed load is retried on the next time update
    video.addEventListener("timeupdate", () => { this.ensure(video.currentTime).catch(quiet); this.skipGap(); });
    video.addEventListener("seeking", () => this.ensure(video.currentTime).catch(quiet));
  }

  async open() {
    const { source } = await openSource(this.video);
    this.source = source;
  }

  setSegments(list) {
    this.segments = list.map((s) => ({ ...s, t0: (Date.parse(s.start_at) - this.origin) / 1000,
      t1: (Date.parse(s.end_at) - this.origin) / 1000 })).sort((a, b) => a.t0 - b.t0);
  }

  segmentAt(t) { return this.segments.find((s) => s.t0 <= t + 1e-3 && t < s.t1); }

  /** Load the segment holding `t` and the next one (so a boundary never stalls). */
  async ensure(t) {
    await this.ready;
    const first = this.segments.findIndex((s) => s.t1 > t);
    if (first < 0) return;
    for (const seg of this.segments.slice(first, first + 2)) await this.load(seg);
  }

  async load(seg) {
    if (this.loaded.has(seg.id)) return;
    this.loaded.add(seg.id);
    try {
      const res = await fetch(seg.url, { credentials: "same-origin" });
      if (!res.ok) throw new Error(`segment ${seg.id}: ${res.status}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (!this.appender) {
        const buffer = this.source.addSourceBuffer(mimeOf(bytes) || 'video/mp4; codecs="avc1.42E01E"');
        buffer.mode = "segments";
        this.appender = new Appender(buffer);
      }
      const offset = seg.t0 - firstTime(bytes);
      await this.appender.push(bytes, (buffer) => { buffer.timestampOffset = offset; });
      this.trim();
    } catch (err) {
      this.loaded.delete(seg.id);
      throw err;
    }
  }

  trim() {
    const buffer = this.appender?.buffer;
    const t = this.video.currentTime;
    if (!buffer || buffer.updating || !buffer.buffered.length || t - buffer.buffered.start(0) < 3 * KEEP_S) return;
    for (const seg of this.segments) if (seg.t1 < t - KEEP_S) this.loaded.delete(seg.id);
    buffer.remove(0, t - KEEP_S);
  }

  /** At the end of recorded video before a gap: jump to the next segment. */
  skipGap() {
    const t = this.video.currentTime;
    if (this.segmentAt(t)) return;
    const next = this.segments.find((s) => s.t0 > t);
    if (next && !this.video.seeking) this.video.currentTime = next.t0;
  }

  async seek(t) {
    await this.ensure(t);
    const seg = this.segmentAt(t);
    this.video.currentTime = seg ? t : (this.segments.find((s) => s.t0 > t)?.t0 ?? t);
  }
}

/** Times in the viewer's own zone and locale; ages relative to now. Pure, no DOM. */

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** "26 Nov 2026, 01:02:03 UTC" in the viewer's zone, or an em dash for no time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date);
}

/** "01:02:03" in the viewer's zone (chart axes, "updated at"). */
export function formatClock(at: number): string {
  return clockFormat.format(new Date(at));
}

/** A duration in seconds, short: "0.25 s", "12 s", "4 min 3 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.abs(seconds);
  if (s < 10) return `${trim(s, s < 1 ? 2 : 1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) {
    const rest = Math.round(s % 60);
    return rest === 0 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 60)} min ${rest} s`;
  }
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** "12 s ago", "in 3 min 5 s", "just now": `iso` relative to `now` (ms since the epoch). */
export function formatRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return '';
  const seconds = (now - at) / 1000;
  if (Math.abs(seconds) < 1) return 'just now';
  const rounded = Math.abs(seconds) < 60 ? `${Math.round(Math.abs(seconds))} s` : formatDuration(seconds);
  return seconds >= 0 ? `${rounded} ago` : `in ${rounded}`;
}

/** A rate per second, short: "0", "0.4/s", "12/s", "1.2k/s". */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '—';
  if (perSecond === 0) return '0/s';
  if (perSecond >= 1000) return `${trim(perSecond / 1000, 1)}k/s`;
  return `${trim(perSecond, perSecond < 10 ? 1 : 0)}/s`;
}

/** A count with the viewer's digit grouping, or an em dash when unknown. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

function trim(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

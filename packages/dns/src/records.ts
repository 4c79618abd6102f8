import type { WireRecord } from './message.js';

/** Record types the resolver can ask for. */
export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'TXT' | 'PTR' | 'NS' | 'SOA';

/** Every {@link RecordType}, for validation and CLI flags. */
export const RECORD_TYPES: readonly RecordType[] = Object.freeze([
  'A',
  'AAAA',
  'CNAME',
  'SRV',
  'TXT',
  'PTR',
  'NS',
  'SOA',
]);

/** SRV record data (RFC 2782). */
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** Target host name, without a trailing dot. `.` means "no service here". */
  readonly target: string;
}

/** SOA record data; `minimum` bounds how long a negative answer may be cached. */
export interface SoaData {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

interface RecordBase {
  /** Owner name, without a trailing dot. */
  readonly name: string;
  /** Time to live in seconds, as the server sent it. */
  readonly ttl: number;
}

/** One resource record of a type the resolver understands; other types in a response are left out. */
export type DnsRecord =
  | (RecordBase & { readonly type: 'A' | 'AAAA'; readonly data: string })
  | (RecordBase & { readonly type: 'CNAME' | 'PTR' | 'NS'; readonly data: string })
  | (RecordBase & { readonly type: 'SRV'; readonly data: SrvData })
  | (RecordBase & { readonly type: 'TXT'; readonly data: readonly string[] })
  | (RecordBase & { readonly type: 'SOA'; readonly data: SoaData });

/** Converts a decoded wire record to a {@link DnsRecord}, or undefined for types we do not model or class != IN. */
export function toDnsRecord(r: WireRecord): DnsRecord | undefined {
  if (r.class !== 'IN') return undefined;
  const base = { name: stripDot(r.name), ttl: r.ttl };
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return typeof r.data === 'string' ? { ...base, type: r.type, data: r.data } : undefined;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return typeof r.data === 'string' ? { ...base, type: r.type, data: stripDot(r.data) } : undefined;
    case 'SRV': {
      const d = r.data as Partial<SrvData> | undefined;
      if (d === undefined || typeof d.target !== 'string') return undefined;
      return {
        ...base,
        type: 'SRV',
        data: {
          priority: d.priority ?? 0,
          weight: d.weight ?? 0,
          port: d.port ?? 0,
          target: d.target === '' || d.target === '.' ? '.' : stripDot(d.target),
        },
      };
    }
    case 'TXT': {
      const chunks = Array.isArray(r.data) ? r.data : [r.data];
      return {
        ...base,
        type: 'TXT',
        data: chunks.map((c) => (Buffer.isBuffer(c) ? c.toString('utf8') : String(c))),
      };
    }
    case 'SOA':
      return r.data === undefined ? undefined : { ...base, type: 'SOA', data: r.data as SoaData };
    default:
      return undefined;
  }
}

/** A name without its trailing dot (the root stays `.`). */
export function stripDot(name: string): string {
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name;
}

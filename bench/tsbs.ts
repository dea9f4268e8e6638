/** TSBS devops cpu-only style lines: 10 tags, 10 int64 fields, ns timestamps, time-major over `hosts`. */
export function tsbsCpuLines(lines: number, hosts = 1000, fields: 'int' | 'float' = 'int'): Buffer {
  const regions = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];
  const names = ['usage_user', 'usage_system', 'usage_idle', 'usage_nice', 'usage_iowait', 'usage_irq', 'usage_softirq', 'usage_steal', 'usage_guest', 'usage_guest_nice'];
  const hostTags: string[] = [];
  for (let h = 0; h < hosts; h++) {
    const region = regions[h % regions.length]!;
    hostTags.push(
      `cpu,hostname=host_${h},region=${region},datacenter=${region}${'abc'[h % 3]},rack=${h % 100},os=Ubuntu${h % 2 ? '16.04LTS' : '15.10'},arch=${h % 3 ? 'x64' : 'x86'},team=${['SF', 'NYC', 'LON', 'CHI'][h % 4]},service=${h % 20},service_version=${h % 2},service_environment=${['production', 'staging', 'test'][h % 3]}`,
    );
  }
  let seed = 1;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 0x1_0000_0000;
  };
  const parts: string[] = [];
  const start = 1_735_689_600_000_000_000n;
  for (let i = 0; i < lines; i++) {
    const h = i % hosts;
    const t = start + BigInt(Math.floor(i / hosts)) * 10_000_000_000n;
    let line = `${hostTags[h]} `;
    for (let f = 0; f < names.length; f++) line += `${f ? ',' : ''}${names[f]}=${fields === 'int' ? `${Math.floor(next() * 100)}i` : (next() * 100).toFixed(2)}`;
    parts.push(`${line} ${t}`);
  }
  return Buffer.from(parts.join('\n') + '\n');
}

/** `body` cut into bodies of `lines` lines each (views, not copies). */
export function splitLines(body: Buffer, lines: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  let count = 0;
  for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) {
    if (++count === lines) {
      out.push(body.subarray(start, i + 1));
      start = i + 1;
      count = 0;
    }
  }
  if (start < body.length) out.push(body.subarray(start));
  return out;
}

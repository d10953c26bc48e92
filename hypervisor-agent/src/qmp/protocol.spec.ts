import { encodeCommand, LineDecoder, parseMessage, QmpProtocol } from './protocol';

const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "Debian 1:10.0.2+ds-2"}, "capabilities": ["oob"]}}\r\n';

describe('encodeCommand', () => {
  it('writes one JSON object and a newline, byte for byte', () => {
    expect(encodeCommand('stop', undefined, 'a-1').toString('latin1')).toBe(
      '{"execute":"stop","id":"a-1"}\n',
    );
    expect(encodeCommand('migrate', { uri: 'file:/x' }, 'a-2').toString('latin1')).toBe(
      '{"execute":"migrate","arguments":{"uri":"file:/x"},"id":"a-2"}\n',
    );
  });
});

describe('LineDecoder', () => {
  it('reassembles lines split across chunks and drops CR', () => {
    const d = new LineDecoder();
    expect(d.push(Buffer.from('{"retu'))).toEqual([]);
    expect(d.push(Buffer.from('rn": {}}\r\n{"a"'))).toEqual(['{"return": {}}']);
    expect(d.push(Buffer.from(':1}\n'))).toEqual(['{"a":1}']);
  });

  it('drops the 0xFF delimiter qemu-ga puts before a guest-sync-delimited answer', () => {
    const d = new LineDecoder();
    const chunk = Buffer.concat([Buffer.from([0xff]), Buffer.from('{"return": 42}\n')]);
    expect(d.push(chunk)).toEqual(['{"return": 42}']);
  });

  it('skips blank lines', () => {
    expect(new LineDecoder().push(Buffer.from('\n\r\n{"x":1}\n'))).toEqual(['{"x":1}']);
  });
});

describe('parseMessage', () => {
  it('recognises the greeting', () => {
    const m = parseMessage(GREETING.trim());
    expect(m.kind).toBe('greeting');
    if (m.kind === 'greeting') expect(m.greeting.version.qemu.major).toBe(10);
  });

  it('recognises return, error and event', () => {
    expect(parseMessage('{"return": {"status": "running"}, "id": "x-1"}')).toEqual({
      kind: 'return',
      id: 'x-1',
      value: { status: 'running' },
    });
    expect(
      parseMessage(
        '{"id": "x-2", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
      ),
    ).toEqual({
      kind: 'error',
      id: 'x-2',
      error: { class: 'CommandNotFound', desc: 'The command nope has not been found' },
    });
    expect(
      parseMessage('{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}'),
    ).toEqual({
      kind: 'event',
      event: { event: 'STOP', data: {}, timestamp: { seconds: 1, microseconds: 2 } },
    });
  });

  it('reports bad input as invalid, never throws', () => {
    expect(parseMessage('{nope').kind).toBe('invalid');
    expect(parseMessage('[1,2]').kind).toBe('invalid');
    expect(parseMessage('{"what": 1}').kind).toBe('invalid');
  });
});

describe('QmpProtocol', () => {
  it('issues ids with its prefix and matches answers, events pass through', () => {
    const p = new QmpProtocol('s1');
    expect(p.receive(Buffer.from(GREETING))[0]?.kind).toBe('greeting');
    const c1 = p.command('qmp_capabilities');
    const c2 = p.command('query-status');
    expect(c1.id).toBe('s1-1');
    expect(c2.bytes.toString()).toBe('{"execute":"query-status","id":"s1-2"}\n');
    const out = p.receive(
      Buffer.from(
        '{"return": {}, "id": "s1-1"}\r\n{"event": "RESUME", "data": {}}\r\n{"return": {"status": "running"}, "id": "s1-2"}\r\n',
      ),
    );
    expect(out.map((m) => m.kind)).toEqual(['return', 'event', 'return']);
  });

  it('drops answers for ids it did not issue or already forgot (an earlier client)', () => {
    const p = new QmpProtocol('s2');
    const c = p.command('guest-ping');
    p.forget(c.id);
    const out = p.receive(
      Buffer.from(
        '{"return": {"pid": 131}, "id": "old-7"}\n{"return": {}, "id": "s2-1"}\n{"return": {}}\n',
      ),
    );
    expect(out).toEqual([]);
  });

  it('passes an error answer to its command', () => {
    const p = new QmpProtocol('s3');
    p.command('cont');
    const [m] = p.receive(
      Buffer.from('{"error": {"class": "GenericError", "desc": "no"}, "id": "s3-1"}\n'),
    );
    expect(m).toEqual({ kind: 'error', id: 's3-1', error: { class: 'GenericError', desc: 'no' } });
  });
});

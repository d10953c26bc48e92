import express from 'express';
import request from 'supertest';
import { HSTS, PORTAL_CSP, securityHeaders } from './security-headers';

const app = express();
app.set('trust proxy', 'loopback'); // X-Forwarded-Proto from a proxy on loopback counts
app.use(securityHeaders());
app.get(/.*/, (_req, res) => {
  res.send('ok');
});

describe('security headers', () => {
  it('sends the CSP, nosniff, no-referrer and DENY on every answer, HSTS only over https', async () => {
    const plain = await request(app).get('/');
    expect(plain.headers['content-security-policy']).toBe(PORTAL_CSP);
    expect(PORTAL_CSP).toMatch(/default-src 'self'/);
    expect(PORTAL_CSP).toMatch(/frame-ancestors 'none'/);
    expect(PORTAL_CSP).toMatch(/connect-src 'self' ws: wss:/);
    expect(PORTAL_CSP).not.toMatch(/unsafe/);
    expect(plain.headers['x-content-type-options']).toBe('nosniff');
    expect(plain.headers['referrer-policy']).toBe('no-referrer');
    expect(plain.headers['x-frame-options']).toBe('DENY');
    expect(plain.headers['strict-transport-security']).toBeUndefined();

    const https = await request(app).get('/api/my/pools').set('x-forwarded-proto', 'https');
    expect(https.headers['strict-transport-security']).toBe(HSTS);
  });

  it("relaxes only the API docs' page for Swagger UI's inline code", async () => {
    const docs = await request(app).get('/api/docs/');
    expect(docs.headers['content-security-policy']).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(docs.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `vite` (dev) proxies the broker; `vite build` writes dist/, which the broker serves at `/`.
const broker = `http://127.0.0.1:${process.env.FORKDESK_BROKER_PORT ?? '8080'}`;

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 400 },
  server: {
    proxy: {
      '/api': broker,
      '/tunnel': { target: broker, ws: true },
    },
  },
});

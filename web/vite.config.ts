import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into web/dist, which the hub serves at `/` (src/hub/static.ts). In development,
// `npx vite web` proxies the API to a hub on :8080 so the bearer token flows as in production.
export const config = defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});

// Vite reads the default export; the house rule for named exports yields to the tool here.
export default config;

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Built locally and served by our own server: no CDN at run time. ffmpeg.wasm's core is served
// by the server from node_modules (/vendor/ffmpeg-core/), so it is not bundled here.
export default defineConfig({
  root: here('.'),
  base: '/',
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { main: here('./index.html'), output: here('./output.html') } },
  },
  optimizeDeps: { exclude: ['@ffmpeg/ffmpeg', '@ffmpeg/util'] },
  worker: { format: 'es' },
});

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served under /console/ (the local stack; CloudFront in AWS). config.json is not part of the
// build: each stage's comes from where the app is hosted.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  // Cloudscape is one large, tree-shaken bundle (about 270 KB gzipped, inside the 400 KB budget).
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
});

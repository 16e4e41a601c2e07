import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served under /shop/ (the local stack; CloudFront in AWS). config.json is not part of the
// build: each stage's comes from where the app is hosted.
export default defineConfig({
  base: "/shop/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
});

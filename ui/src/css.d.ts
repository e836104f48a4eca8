/** Stylesheets are bundled by esbuild (`import "./styles.css"`). */
declare module "*.css";

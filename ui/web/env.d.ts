// Modules the build provides (ui/build-web.mjs) that have no file of their own.

/** The canonical record's schema, exported from the descriptor image at build time. */
declare module 'swaprep:record-schema' {
  const schema: {
    root: string;
    messages: Record<string, { typeName: string; fields: { jsonName: string; prop: string; number: number; repeated: boolean; kind: string; message?: string }[] }>;
  };
  export default schema;
}

declare module '*.css';

// htm bound to preact: components are written as tagged templates (no JSX step in the build).
export { html } from 'htm/preact';
export { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
export type { ComponentChildren, VNode } from 'preact';

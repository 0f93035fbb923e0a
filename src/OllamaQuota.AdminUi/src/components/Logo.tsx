export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" className="logo">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path d="M9 21.5V12a7 7 0 0 1 14 0v9.5" stroke="#fff" strokeWidth="2.6" fill="none" strokeLinecap="round" />
      <rect x="8" y="19" width="16" height="4" rx="2" fill="#fff" />
    </svg>
  );
}

/** What a function under test writes to stdout (its log on Lambda: event lines, spill lines, EMF), captured around one call. */
import { vi } from 'vitest';

export const captureStdout = async <T>(act: () => Promise<T>): Promise<{ value: T; written: string[] }> => {
  const written: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    return { value: await act(), written };
  } finally {
    write.mockRestore();
  }
};

/* core_purity.c - built, never run: the whole core archive is linked into this
 * program with only libc and libm (CMakeLists.txt), so a core file that calls
 * a third-party library fails the build with an undefined reference. */
int main(void) { return 0; }

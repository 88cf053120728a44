/*
 * The copy behind io.ringsync.collectives.NativeCopy: the C library's memmove, which on x86-64 moves large
 * blocks with "rep movsb" and pulls lines another core has just written faster than the JIT's vector copy
 * loops (np 2 over shm, slow host state: 64 KiB to 16 MiB AllReduce calls 0.68-0.92x the time; see
 * perf-results/2026-12-07-floor). Built by the collectives module's native-copy profile, loaded at run time
 * only where it was built.
 *
 * A heap operand arrives as its array and a byte offset into the array's elements; Java holds it in a JNI
 * critical region for one call (at most NativeCopy.MAX_CRITICAL_BYTES), so the collector never waits long.
 */
#include <jni.h>
#include <string.h>

JNIEXPORT void JNICALL Java_io_ringsync_collectives_NativeCopy_copy0(
    JNIEnv *env, jclass type, jobject srcArray, jlong src, jobject dstArray, jlong dst, jlong bytes) {
  (void)type;
  char *srcBase = NULL;
  char *dstBase = NULL;
  if (srcArray) {
    srcBase = (*env)->GetPrimitiveArrayCritical(env, (jarray)srcArray, NULL);
    if (!srcBase) return; /* out of memory: an exception is pending */
  }
  if (dstArray) {
    dstBase = (*env)->GetPrimitiveArrayCritical(env, (jarray)dstArray, NULL);
    if (!dstBase) {
      if (srcArray) (*env)->ReleasePrimitiveArrayCritical(env, (jarray)srcArray, srcBase, JNI_ABORT);
      return;
    }
  }
  memmove(dstBase + dst, srcBase + src, (size_t)bytes);
  if (dstArray) (*env)->ReleasePrimitiveArrayCritical(env, (jarray)dstArray, dstBase, 0);
  if (srcArray) (*env)->ReleasePrimitiveArrayCritical(env, (jarray)srcArray, srcBase, JNI_ABORT);
}

/* the self-check of NativeCopy: the library answers with the version of this interface */
JNIEXPORT jint JNICALL Java_io_ringsync_collectives_NativeCopy_version0(JNIEnv *env, jclass type) {
  (void)env;
  (void)type;
  return 1;
}

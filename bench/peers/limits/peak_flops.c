// fp32 FMA throughput micro-benchmark: 1 and 2 threads, AVX2 (ymm) and AVX-512 (zmm).
// gcc -O2 -mavx512f -mfma -fopenmp peak_flops.c -o peak_flops   (AVX-512 machine)
// gcc -O2 -mavx2 -mfma -fopenmp peak_flops.c -o peak_flops      (AVX2 only: the zmm rows are skipped)
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
#define N 12
#ifdef __AVX512F__
static double run512(long iters){
  __m512 a[N]; __m512 b=_mm512_set1_ps(0.999999f), c=_mm512_set1_ps(1e-7f);
  for(int i=0;i<N;i++) a[i]=_mm512_set1_ps((float)i);
  for(long k=0;k<iters;k++){
#pragma GCC unroll 12
    for(int i=0;i<N;i++) a[i]=_mm512_fmadd_ps(a[i],b,c);
  }
  float s=0; for(int i=0;i<N;i++) s+=_mm512_reduce_add_ps(a[i]);
  return s;
}
#else
static double run512(long iters){ (void)iters; return 0; }
#endif
static double run256(long iters){
  __m256 a[N]; __m256 b=_mm256_set1_ps(0.999999f), c=_mm256_set1_ps(1e-7f);
  for(int i=0;i<N;i++) a[i]=_mm256_set1_ps((float)i);
  for(long k=0;k<iters;k++){
#pragma GCC unroll 12
    for(int i=0;i<N;i++) a[i]=_mm256_fmadd_ps(a[i],b,c);
  }
  float s=0; float t[8]; for(int i=0;i<N;i++){_mm256_storeu_ps(t,a[i]); for(int j=0;j<8;j++) s+=t[j];}
  return s;
}
int main(void){
  long iters=200000000;
  for(int th=1;th<=2;th++){
    #ifdef __AVX512F__
    const int wmax=512;
#else
    const int wmax=256;
#endif
    for(int w=256;w<=wmax;w+=256){
      double best=0;
      for(int rep=0;rep<3;rep++){
        double sink=0; double t0=now();
#pragma omp parallel num_threads(th) reduction(+:sink)
        { sink += (w==512)? run512(iters): run256(iters); }
        double dt=now()-t0;
        double flops=(double)th*iters*N*(w/32)*2.0;
        double g=flops/dt/1e9; if(g>best) best=g;
        if(sink==12345.0) printf("x");
      }
      printf("{\"threads\":%d,\"vector_bits\":%d,\"gflops\":%.1f,\"gflops_per_core\":%.1f,\"implied_GHz_at_32flop_per_cycle\":%.2f}\n",th,w,best,best/th,best/th/32.0);
    }
  }
  return 0;
}

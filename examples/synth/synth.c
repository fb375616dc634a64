/*
 * synth.c — a tiny synthesiser for kjit's live coding: it writes mono float
 * samples at 48 kHz to standard output, forever, and you edit its voice
 * while it plays (README.md beside this file):
 *
 *     kjit --watch synth.c | aplay -f FLOAT_LE -r 48000 -c 1
 *
 * Edit voice(), melody() or the constants and save: the next block of 64
 * samples is made by the new code, and the phase and the beat go on (they
 * are globals: a reload keeps their values).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define RATE 48000.0
#define BLOCK 64

static double phase;   /* of the oscillator, 0..1 */
static long sample;    /* samples written so far: the song's clock */

/* The note (a frequency in Hz) at a time in seconds: a four-note arpeggio. */
static double melody(double t) {
    static const double notes[] = {220.0, 277.18, 329.63, 440.0};
    return notes[(int)(t * 4) % 4];
}

/* One sample of the voice at the oscillator's phase; t: seconds into the
 * note.  Try: a square wave (phase < 0.5 ? 1 : -1), a shorter decay, a
 * second partial (sin(4 * M_PI * phase)). */
static double voice(double ph, double t) {
    double env = exp(-6.0 * t);                 /* decay of each note */
    return env * sin(2 * M_PI * ph);
}

static float next_sample(void) {
    double t = sample / RATE;
    phase += melody(t) / RATE;
    phase -= floor(phase);
    double in_note = fmod(t, 0.25);
    sample++;
    return (float)(0.3 * voice(phase, in_note));
}

int main(int argc, char **argv) {
    /* synth 48000: one second of sound, then exit (for a test); else forever. */
    long total = argc > 1 ? atol(argv[1]) : -1;
    float block[BLOCK];
    while (total < 0 || sample < total) {
        for (int i = 0; i < BLOCK; i++) block[i] = next_sample();
        if (fwrite(block, sizeof block, 1, stdout) != 1) return 0; /* aplay went away */
        fflush(stdout);
    }
    return 0;
}

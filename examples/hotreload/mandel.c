/*
 * mandel.c — an animated Mandelbrot set in the terminal, for kjit's hot
 * reload (README.md beside this file): `kjit --watch mandel.c`.  Edit
 * shade() or palette while it runs and save: the next frame is drawn by the
 * new code;
 * the zoom goes on where it was (frame is a global: it keeps its value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define W 72
#define H 28

int frame; /* survives every reload */

/* How many steps z = z^2 + c takes to escape, up to limit. */
static int escape(double cr, double ci, int limit) {
    double zr = 0, zi = 0;
    int n = 0;
    while (n < limit && zr * zr + zi * zi < 4) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
        n++;
    }
    return n;
}

/* The character for a point: edit me while the program runs. */
static char shade(int n, int limit) {
    static const char palette[] = " .:-=+*#%@";
    if (n == limit) return ' ';
    return palette[n % 10];
}

static void draw(double cx, double cy, double scale) {
    char line[W + 2];
    printf("\033[H"); /* home: draw over the last frame */
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            double cr = cx + (x - W / 2) * scale * 0.5, ci = cy + (y - H / 2) * scale;
            line[x] = shade(escape(cr, ci, 200), 200);
        }
        line[W] = '\n';
        line[W + 1] = 0;
        fputs(line, stdout);
    }
    printf("frame %d  (kjit --watch: edit shade() in mandel.c and save)\n", frame);
    fflush(stdout);
}

int main(int argc, char **argv) {
    int frames = argc > 1 ? atoi(argv[1]) : 100000; /* ./mandel 10: ten frames, then exit */
    printf("\033[2J");
    for (; frame < frames; frame++) {
        double scale = 0.06 * (1.0 - (frame % 200) / 210.0);
        draw(-0.745, 0.11, scale);
        usleep(100000);
    }
    return 0;
}

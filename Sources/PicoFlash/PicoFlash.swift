/// Plans and carries out flash operations over PICOBOOT: erase, write, verify, skip what is already there.
public enum PicoFlash {}

package io.ringsync.transport.tcp;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.concurrent.TimeUnit;

/**
 * This process' TLS identity for tcp links with {@code tls} on: a P-256 key made at first use and a self-signed
 * certificate for it (built with Bouncy Castle's PKIX library: the JDK has no public API to make one), and the
 * {@link SSLContext} that presents it, TLS 1.3 only, both ends presenting theirs.
 * <p>
 * No certificate authority vouches for a rank: a self-signed certificate says nothing about who holds it, so the
 * context takes any peer certificate, and who the peer is comes from the job secret instead. After the TLS
 * handshake each end proves the secret with a proof bound to the two certificates this connection's handshake
 * showed ({@link #channelBinding}): a relay that ends TLS on each side shows each end a certificate of its own,
 * so the proofs the two ends expect differ, and without the secret it can make neither. Hence TLS needs a job
 * secret.
 */
final class TlsIdentity
{
    private static final String PROTOCOL = "TLSv1.3";
    private static final char[] STORE_PASSWORD = "ringsync".toCharArray();
    private static final long VALIDITY_MS = TimeUnit.DAYS.toMillis(3650);

    private static volatile TlsIdentity instance;

    private final SSLContext sslContext;

    private TlsIdentity(final SSLContext sslContext)
    {
        this.sslContext = sslContext;
    }

    /**
     * @return this process' identity, made on the first call (a key pair and a signature: milliseconds).
     * @throws IllegalStateException when the JDK cannot make a P-256 key or TLS 1.3 context.
     */
    static TlsIdentity get()
    {
        TlsIdentity identity = instance;
        if (null == identity)
        {
            synchronized (TlsIdentity.class)
            {
                identity = instance;
                if (null == identity)
                {
                    identity = create();
                    instance = identity;
                }
            }
        }
        return identity;
    }

    SSLContext sslContext()
    {
        return sslContext;
    }

    /**
     * @param dialing true for the end that dials (the TLS client).
     * @return a fresh engine for one connection.
     */
    SSLEngine newEngine(final boolean dialing)
    {
        final SSLEngine engine = sslContext.createSSLEngine();
        engine.setUseClientMode(dialing);
        final SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(new String[]{ PROTOCOL });
        if (!dialing)
        {
            // the dialer's certificate is half of the channel binding
            parameters.setNeedClientAuth(true);
        }
        engine.setSSLParameters(parameters);
        return engine;
    }

    /**
     * The two certificates of a finished handshake, hashed, the dialer's first: what both ends bind their proofs
     * of the job secret to.
     *
     * @param engine  the connection's engine, its handshake done.
     * @param dialing whether this end dialed.
     * @return SHA-256 of the dialer's certificate, then of the acceptor's (64 bytes).
     * @throws GeneralSecurityException when the session holds no certificate for an end.
     * @throws java.io.IOException      when the peer showed none (SSLPeerUnverifiedException).
     */
    static byte[] channelBinding(final SSLEngine engine, final boolean dialing)
        throws GeneralSecurityException, java.io.IOException
    {
        final Certificate[] local = engine.getSession().getLocalCertificates();
        final Certificate[] peer = engine.getSession().getPeerCertificates();
        if (null == local || 0 == local.length || 0 == peer.length)
        {
            throw new GeneralSecurityException("the TLS session has no certificate for one of its ends");
        }
        final MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        final byte[] mine = sha256.digest(local[0].getEncoded());
        final byte[] theirs = sha256.digest(peer[0].getEncoded());
        final byte[] binding = new byte[mine.length + theirs.length];
        System.arraycopy(dialing ? mine : theirs, 0, binding, 0, mine.length);
        System.arraycopy(dialing ? theirs : mine, 0, binding, mine.length, theirs.length);
        return binding;
    }

    private static TlsIdentity create()
    {
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            final KeyPair keyPair = generator.generateKeyPair();
            final X500Name name = new X500Name("CN=ringsync rank " + ProcessHandle.current().pid());
            final long nowMs = System.currentTimeMillis();
            final X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                    new Date(nowMs - TimeUnit.DAYS.toMillis(1)), new Date(nowMs + VALIDITY_MS), name,
                    keyPair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));

            final KeyStore keyStore = KeyStore.getInstance("PKCS12");
            keyStore.load(null, null);
            keyStore.setKeyEntry("rank", keyPair.getPrivate(), STORE_PASSWORD, new Certificate[]{ certificate });
            final KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keyStore, STORE_PASSWORD);

            final SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keyManagers.getKeyManagers(), new TrustManager[]{ new AnyCertificate() }, new SecureRandom());
            return new TlsIdentity(context);
        }
        catch (final GeneralSecurityException | OperatorCreationException | java.io.IOException ex)
        {
            throw new IllegalStateException("cannot make this process' TLS identity (a P-256 key and a " +
                "self-signed certificate, TLS 1.3): " + ex, ex);
        }
    }

    /**
     * Takes any certificate: who the peer is, is proven by the job secret bound to the handshake's certificates.
     */
    private static final class AnyCertificate implements X509TrustManager
    {
        public void checkClientTrusted(final X509Certificate[] chain, final String authType)
        {
            // proven after the handshake, by the job secret
        }

        public void checkServerTrusted(final X509Certificate[] chain, final String authType)
        {
            // proven after the handshake, by the job secret
        }

        public X509Certificate[] getAcceptedIssuers()
        {
            return new X509Certificate[0];
        }
    }
}

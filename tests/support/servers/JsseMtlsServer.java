// A mutual-TLS server on Java's own TLS stack (JSSE) and com.sun.net.httpserver, for the tests.
// Its one argument is a properties file: host, port, key (PKCS#8 DER), cert (PEM chain), ca (PEM),
// clientAuth (require | request | optional | none), crl (PEM, optional), protocols (comma-separated),
// refuse (the HTTP status for a client without a verified certificate, 0 for none).
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Properties;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class JsseMtlsServer {
    public static void main(String[] args) throws Exception {
        Properties config = new Properties();
        try (InputStream in = new FileInputStream(args[0])) {
            config.load(in);
        }
        String clientAuth = config.getProperty("clientAuth");
        int refuse = Integer.parseInt(config.getProperty("refuse", "0"));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers(config).getKeyManagers(), trustManagers(config, clientAuth), null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress(config.getProperty("host"), Integer.parseInt(config.getProperty("port"))), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters ssl = context.getDefaultSSLParameters();
                ssl.setProtocols(config.getProperty("protocols").split(","));
                // Each of these clears the other: "want" first, then "need" where it is required.
                ssl.setWantClientAuth(clientAuth.equals("request") || clientAuth.equals("optional"));
                if (clientAuth.equals("require")) {
                    ssl.setNeedClientAuth(true);
                }
                params.setSSLParameters(ssl);
            }
        });
        server.createContext("/", exchange -> {
            String subject = "";
            try {
                subject = ((X509Certificate) ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
            } catch (SSLPeerUnverifiedException none) {
                subject = "";
            }
            int status = (refuse != 0 && subject.isEmpty()) ? refuse : 200;
            byte[] body = (status == 200 ? "hello " + subject + "\n" : "refused by the application\n").getBytes(StandardCharsets.UTF_8);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    }

    static KeyManagerFactory keyManagers(Properties config) throws Exception {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        Certificate[] chain;
        try (InputStream in = new FileInputStream(config.getProperty("cert"))) {
            chain = x509.generateCertificates(in).toArray(new Certificate[0]);
        }
        byte[] der = Files.readAllBytes(Path.of(config.getProperty("key")));
        String algorithm = chain[0].getPublicKey().getAlgorithm();
        PrivateKey key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", key, new char[0], chain);
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, new char[0]);
        return factory;
    }

    static TrustManager[] trustManagers(Properties config, String clientAuth) throws Exception {
        if (clientAuth.equals("request")) {
            // Asks for a certificate and takes whatever comes: the misconfiguration under test.
            return new TrustManager[] {new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] chain, String type) {}
                public void checkServerTrusted(X509Certificate[] chain, String type) {}
                public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }};
        }
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        try (InputStream in = new FileInputStream(config.getProperty("ca"))) {
            int index = 0;
            for (Certificate ca : x509.generateCertificates(in)) {
                trusted.setCertificateEntry("ca" + index++, ca);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        String crl = config.getProperty("crl", "");
        if (crl.isEmpty()) {
            factory.init(trusted);
        } else {
            PKIXBuilderParameters params = new PKIXBuilderParameters(trusted, new X509CertSelector());
            try (InputStream in = new FileInputStream(crl)) {
                params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(x509.generateCRLs(in))));
            }
            params.setRevocationEnabled(true);
            factory.init(new CertPathTrustManagerParameters(params));
        }
        return factory.getTrustManagers();
    }
}
